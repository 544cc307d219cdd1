#include "metrics.h"

#include "bench/benchstat.h"

double sim_bsld (int64_t wait, int64_t run)
{
    double denom = run > SIM_BSLD_TAU ? (double)run : SIM_BSLD_TAU;
    double s = (double)(wait + run) / denom;
    return s > 1.0 ? s : 1.0;
}

void sim_metrics_compute (const struct sim_job *jobs, int n, int procs, struct sim_passes *passes,
                          struct sim_metrics *m)
{
    *m = (struct sim_metrics){.jobs = n};
    double used = 0, wait = 0, bsld = 0, leaves = 0;
    for (int i = 0; i < n; i++) {
        const struct sim_job *j = &jobs[i];
        int64_t end = j->start + j->run;
        if (i == 0 || j->submit < m->first_submit)
            m->first_submit = j->submit;
        if (i == 0 || end > m->last_end)
            m->last_end = end;
        used += (double)j->procs * (double)j->run;
        wait += (double)(j->start - j->submit);
        bsld += sim_bsld (j->start - j->submit, j->run);
        if (j->nnodes > 1) {
            m->multinode++;
            leaves += j->leaves;
        }
    }
    if (n > 0) {
        double span = (double)(m->last_end - m->first_submit);
        m->utilization = span > 0 ? used / ((double)procs * span) : 0;
        m->mean_wait = wait / n;
        m->mean_bsld = bsld / n;
    }
    if (m->multinode > 0)
        m->mean_leaves = leaves / m->multinode;
    m->passes = passes->n;
    if (passes->n > 0)
        bench_stats (passes->us, passes->n, &m->pass_median_us, &m->pass_p99_us);
}
