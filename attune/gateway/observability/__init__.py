"""The gateway's metrics, traces and health endpoints (issue 17), installed by
``create_app`` with one line (:func:`.hooks.install_observability`)."""
