"""Prometheus metrics of the scheduler, recorded by every worker process as tasks run.

In Celery's prefork pool each child is its own process: with PROMETHEUS_MULTIPROC_DIR set,
prometheus_client writes these to files that the exporters add up.
"""

from prometheus_client import Counter, Gauge, Histogram

TASK_RUNS = Counter(
    "tradingops_scheduler_task_runs_total",
    "Task runs by task name and outcome (success, failure, retry).",
    ["task", "outcome"],
)
TASK_DURATION = Histogram(
    "tradingops_scheduler_task_duration_seconds",
    "Run time of each task, by task name.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
TASK_LAST_SUCCESS = Gauge(
    "tradingops_scheduler_task_last_success_timestamp_seconds",
    "Unix time of the last successful run, by task name.",
    ["task"],
    multiprocess_mode="max",
)
BROKER_MESSAGES_REJECTED = Counter(
    "tradingops_broker_messages_rejected_total",
    "Messages the worker threw away instead of running, by reason (a file of the embedded "
    "broker that does not decode, a body Celery cannot decode, an unknown or invalid task).",
    ["reason"],
)
