/* store_bench - why huddle-ctld groups a loop turn's changes into one commit
 *
 * Submits jobs the way the controller does (a new seq, the job object, a
 * "submitted" event) and commits every B jobs, for B = 1, 100 and 1000, with
 * synchronous=FULL (the default) and NORMAL.  Prints one JSON object: jobs/s
 * for each and the speed-up of 1000 per flush over 1 per flush.
 *
 *   store_bench [--dir DIR] [--jobs N] [--seconds S]
 *
 * DIR should be on the disk the controller's state lives on (a tmpfs makes
 * fsync free and the numbers meaningless); default: a new directory under
 * $TMPDIR or /var/tmp, removed at the end.  Each run stops after N jobs or S
 * seconds, whichever comes first (default 20000 jobs, 3 s).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "scheduler/ctld/store.h"

static double now_s (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void remove_dir (const char *dir)
{
    DIR *d = opendir (dir);
    struct dirent *e;
    char path[8192];
    while (d && (e = readdir (d))) {
        if (strcmp (e->d_name, ".") && strcmp (e->d_name, "..")) {
            if (snprintf (path, sizeof (path), "%s/%s", dir, e->d_name) < (int)sizeof (path))
                unlink (path);
        }
    }
    if (d)
        closedir (d);
    rmdir (dir);
}

/* A job about the size qsub sends for a small MPI job. */
static json_t *make_job (int64_t seq)
{
    return json_pack ("{s:I, s:s, s:s, s:s, s:i, s:i, s:s, s:s, s:{s:s, s:s, s:s},"
                      " s:[{s:i, s:i, s:i}], s:{s:s, s:s}, s:i, s:I, s:i}",
                      "seq", (json_int_t)seq, "name", "lammps-run", "state", "Q", "owner", "alice",
                      "uid", 1000, "gid", 1000, "workdir", "/home/alice/runs/42", "script",
                      "#!/bin/bash\n#PBS -l select=2:ncpus=32:mpiprocs=32\n"
                      "module load openmpi\nmpirun ./lmp -in in.lj\n",
                      "env", "PATH", "/usr/local/bin:/usr/bin:/bin", "HOME", "/home/alice", "LANG",
                      "C.UTF-8", "chunks", "count", 2, "ncpus", 32, "mpiprocs", 32, "place",
                      "arrangement", "scatter", "sharing", "excl", "walltime", 3600, "submit_time",
                      (json_int_t)time (NULL), "run_count", 0);
}

struct result {
    int jobs;
    double seconds;
};

static int run_one (const char *base, int flags, int per_flush, int max_jobs, double max_s,
                    struct result *res)
{
    char dir[4096];
    struct herror err;
    struct store *st;

    if (snprintf (dir, sizeof (dir), "%s/run.XXXXXX", base) >= (int)sizeof (dir)) {
        fprintf (stderr, "store_bench: %s: path too long\n", base);
        return -1;
    }
    if (!mkdtemp (dir)) {
        perror (dir);
        return -1;
    }
    if (!(st = store_open_flags (dir, flags, &err))) {
        fprintf (stderr, "store_bench: %s\n", err.text);
        return -1;
    }
    double t0 = now_s(), t = t0;
    int n = 0;
    while (n < max_jobs && t - t0 < max_s) {
        for (int i = 0; i < per_flush; i++, n++) {
            int64_t seq;
            json_t *job;
            if (store_next_seq (st, &seq, &err) < 0 || !(job = make_job (seq))) {
                fprintf (stderr, "store_bench: %s\n", err.text);
                return -1;
            }
            int rc = store_job_put (st, job, &err);
            json_decref (job);
            if (rc < 0 || store_event_add (st, seq, time (NULL), "submitted by alice", &err) < 0) {
                fprintf (stderr, "store_bench: %s\n", err.text);
                return -1;
            }
        }
        if (store_flush (st, &err) < 0) {
            fprintf (stderr, "store_bench: %s\n", err.text);
            return -1;
        }
        t = now_s();
    }
    res->jobs = n;
    res->seconds = t - t0;
    store_close (st);
    remove_dir (dir);
    return 0;
}

int main (int argc, char **argv)
{
    const char *dir = NULL;
    int max_jobs = 20000;
    double max_s = 3.0;
    char tmp[4096];

    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp (argv[i], "--jobs") && i + 1 < argc)
            max_jobs = atoi (argv[++i]);
        else if (!strcmp (argv[i], "--seconds") && i + 1 < argc)
            max_s = atof (argv[++i]);
        else {
            fprintf (stderr, "usage: store_bench [--dir DIR] [--jobs N] [--seconds S]\n");
            return 2;
        }
    }
    if (!dir) {
        const char *t = getenv ("TMPDIR");
        snprintf (tmp, sizeof (tmp), "%s/store_bench.XXXXXX", t && *t ? t : "/var/tmp");
        if (!mkdtemp (tmp)) {
            perror (tmp);
            return 1;
        }
        dir = tmp;
    }

    static const int batches[] = {1, 100, 1000};
    static const struct {
        const char *name;
        int flags;
    } syncs[] = {{"full", 0}, {"normal", STORE_SYNC_NORMAL}};
    double rate[2][3];

    printf ("{\"benchmark\":\"store_put_flush\",\"dir\":\"%s\",\"results\":[", dir);
    for (int s = 0; s < 2; s++) {
        for (int b = 0; b < 3; b++) {
            struct result r;
            if (run_one (dir, syncs[s].flags, batches[b], max_jobs, max_s, &r) < 0)
                return 1;
            rate[s][b] = r.jobs / r.seconds;
            printf ("%s{\"sync\":\"%s\",\"jobs_per_flush\":%d,\"jobs\":%d,\"seconds\":%.3f,"
                    "\"jobs_per_s\":%.0f}",
                    s || b ? "," : "", syncs[s].name, batches[b], r.jobs, r.seconds, rate[s][b]);
            fflush (stdout);
        }
    }
    printf ("],\"speedup_1000_vs_1\":{\"full\":%.1f,\"normal\":%.1f}}\n", rate[0][2] / rate[0][0],
            rate[1][2] / rate[1][0]);
    if (dir == tmp)
        remove_dir (tmp);
    return 0;
}
