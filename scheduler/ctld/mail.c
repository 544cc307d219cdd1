/* mail.c - the mail jobs ask for with qsub -m / -M (PBS's Mail_Points and
 * Mail_Users), sent through the controller's mail_command
 *
 * PBS's server mails the job's owner (or -M's addresses) when the job
 * begins (b), ends (e) or is aborted by the batch system (a, the default).
 * huddle runs the configured command as "COMMAND -s SUBJECT ADDRESS..."
 * (mail(1) and mailx take this form) with the message on its standard
 * input, in a grandchild so that the controller never waits for it and
 * leaves no zombie; the addresses are separate arguments, never parsed by
 * a shell.  Without a mail_command nothing is sent (jobmsg.c says so once
 * in the log).
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "scheduler/ctld/job.h"

#define MAIL_MAX_ADDRS 64

static void mail_exec (const char *cmd, const char *subject, char *addrs, int fd)
{
    char *argv[MAIL_MAX_ADDRS + 8];
    int n = 0;
    argv[n++] = "/bin/sh";
    argv[n++] = "-c";
    argv[n++] = (char *)"exec $0 \"$@\"";
    argv[n++] = (char *)cmd;
    argv[n++] = "-s";
    argv[n++] = (char *)subject;
    for (char *save = NULL, *a = strtok_r (addrs, ",", &save); a && n < MAIL_MAX_ADDRS + 6;
         a = strtok_r (NULL, ",", &save))
        argv[n++] = a;
    argv[n] = NULL;
    if (dup2 (fd, 0) < 0)
        _exit (127);
    int null = open ("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2 (null, 1);
        dup2 (null, 2);
    }
    for (int i = 3; i < 1024; i++)
        close (i);
    sigset_t none;
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
    execv (argv[0], argv);
    _exit (127);
}

void job_mail (struct ctld *ctx, struct ctld_job *j, char point, const char *what)
{
    const char *cmd = ctx->cfg.mail_command;
    const char *points = json_string_value (json_object_get (j->obj, "mail_points"));
    const char *users = json_string_value (json_object_get (j->obj, "mail_users"));
    const char *owner = json_string_value (json_object_get (j->obj, "owner"));
    const char *name = json_string_value (json_object_get (j->obj, "name"));
    char id[96], subject[160], body[1024];

    if (!cmd || !*cmd || !strchr (points ? points : "a", point) || (!users && !owner))
        return;
    job_id (ctx, j, id, sizeof (id));
    snprintf (subject, sizeof (subject), "PBS JOB %s", id);
    int len = snprintf (body, sizeof (body), "PBS Job Id: %s\nJob Name:   %s\n%s\n", id,
                        name ? name : "", what);
    char *addrs = strdup (users ? users : owner);
    int fds[2];
    if (!addrs || pipe2 (fds, O_CLOEXEC) < 0) {
        log_msg (LOG_LEVEL_ERROR, "job %s: cannot send mail: %s", id, strerror (errno));
        free (addrs);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        if (fork() == 0)
            mail_exec (cmd, subject, addrs, fds[0]);
        _exit (0);
    }
    free (addrs);
    close (fds[0]);
    if (pid < 0)
        log_msg (LOG_LEVEL_ERROR, "job %s: cannot send mail: fork: %s", id, strerror (errno));
    else {
        /* the message is far below a pipe's buffer: this does not block */
        if (write (fds[1], body, (size_t)len) != len)
            log_msg (LOG_LEVEL_ERROR, "job %s: mail message not written: %s", id, strerror (errno));
        while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    close (fds[1]);
}
