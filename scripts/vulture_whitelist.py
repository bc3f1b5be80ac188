"""Names vulture reports as unused that are used where it cannot see (``make lint``).

Vulture reads only the apps' own code (``[tool.vulture]`` in pyproject.toml); Django, DRF,
Celery, kombu, drf-spectacular and the stdlib reach these names by convention or through
strings, and some are read only by tests or benchmarks. Each group says why. A name here that
nothing uses any more is dead code: delete it and its entry.
"""

from types import SimpleNamespace

_ = SimpleNamespace()

# Model fields: stored, and read by admin, API serializers and exports through field names.
_.source_path  # operations.Runbook
_.loaded_at  # operations.RunbookVersion
_.loaded_by
_.opened_by  # operations.Incident
_.opened_by_name
_.id
_.pruned_count  # audit.AuditCheckpoint
_.risk_decision  # execution.Order
_.acknowledged_at
_.marked_at
_.recorded_at
_.orders_healed
_.detected_at
_.resolved_by_name
_.ingested_at  # marketdata.Bar
_.description  # models_registry.RegisteredModel
_.duration_seconds
_.triggered_by
_.algorithm
_.feature_names
_.assigned_at
_.reference_rows
_.current_rows
_.live_signals
_.changed_by
_.state_version
_.decided_at
_.created_by
_.requested_by
_.requested_at
_.decided_by
_.decided_by_name
_.decision_reason
_.decision_request_id
_.observed_at
_.key_hash  # access.ApiToken (looked up by filter(key_hash=...))
_.revoked_by

# Choices members: values stored in rows and sent by clients, named in no code path.
_.SEV1  # operations.IncidentSeverity
_.SEV2
_.SEV3
_.MITIGATED  # operations.IncidentStatus
_.GAME_DAY  # operations.IncidentSource
_.ALERT
_.ACTION  # operations.TimelineKind
_.FX
_.FUTURE
_.MINUTE_5
_.MINUTE_15
_.HOUR_1
_.DAY_1
_.LIMIT
_.STREAM
_.BUY
_.SELL
_.READ_WRITE  # access.ApiTokenScope

# API serializer fields, method fields and view hooks: DRF finds them by name.
_.dataset_sha256
_.get_aliases
_.lineage
_.version_id
_.trained_at
_.training_run_id
_.holdout_metrics
_.challenger
_.orders_cancelled
_.duration_minutes
_.change_request
_.kill_switch
_.active_overrides
_.pending_change_requests
_.get_serializer_class
_.field_class  # django-filter's FilterSet option
# drf-spectacular finds its extensions by subclassing and reads them by name.
_.ApiTokenScheme  # access.authentication
_.target_class
_.get_security_definition
_.auto_schema  # get_security_definition's signature

# Admin: the action's label, the confirm form's field, the after-save hook.
_.show_change_link  # operations' runbook version inline
_.note_kind  # the incident form's timeline note
_.get_fields  # IncidentAdmin: the fields of the add and change forms
_.clocked  # django-celery-beat's PeriodicTask schedule fields, reset together
_.crontab
_.solar
_.reason_for_change
_.save_related
_.formsets  # save_related's signature
_.post_url_continue  # response_add's signature

# Framework signatures whose arguments we do not use.
_.app_configs  # a Django system check's signature
_.live_broker_needs_readiness  # registered with @register as a deploy check
_.model_admin  # SimpleListFilter.lookups
_.method_name  # structlog processors
_.objs  # QuerySet.bulk_update, refused whole
_.bulk_update  # AppendOnlyQuerySet's refusal: Django calls it for Model.objects.bulk_update

# Dataclass and TypedDict fields read by asdict(), JSON responses and reports.
_.privileged  # audit.selectors.AuditDay
_.config_changes
_.risk_overrides
_.actors
_.authenticated_by  # common.actors.CommandActor
_.retryable  # execution.brokers.contract errors, read by the retry policy's callers
_.replaces  # execution.brokers.contract.BrokerOrder
_.replaced_by
_.average_entry_price  # execution.brokers.contract.BrokerPosition
_.currency  # execution.brokers.contract.BrokerAccount
_.total_return  # models_registry.backtest.BacktestResult
_.turnover
_.history_bars  # drills.soak.seed.SeedResult, printed as JSON by soak_stack seed
_.previous_champion

# Attributes set on library objects: the decimal context, alpaca-py's REST client (its
# retry budget), kombu's channel and Django's exception reporter filter.
_.prec
_._retry
_.restore_at_shutdown
_.hidden_settings
_._put  # kombu's filesystem channel hooks
_._queue_bind
_.drain_events
_.process_exception  # Django middleware hook
_.daemon_threads  # socketserver: the fake providers' request threads die with the server
_.row_factory  # sqlite3: the simulator's rows read by column name

# The stdlib's http.server calls a request handler's methods and reads its options by name.
_.protocol_version
_.disable_nagle_algorithm
_.do_GET
_.do_POST
_.log_message

# Named in settings (dotted paths and callables): WSGI/ASGI, logging, middleware, auditlog.
_.application
_.configure_logging
_.RequestIdHeaderMiddleware
_.ApiJsonErrorsMiddleware
_.audit_correlation_id
_.audit_mask

# Used by tests and benchmarks: the frozen clock, observation reads and sample series.
_.runbook_problems  # tests/operations/test_runbooks.py checks every runbook in docs/
_.FrozenClock
_.advance
_.set_clock
_.serving_provider
_.realistic_minute_bars
_.limits_for
_.state_forget  # resets the per-process risk state cache between tests
_.expected_wall_seconds  # the soak profile's wall time, held under CI's budget by a test

# Called by data migrations, which vulture does not read (``exclude`` in pyproject.toml).
_.content_types_relabel  # audit, access and drills 0002: models moved out of operations
