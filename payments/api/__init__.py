"""The REST API (`/api/v1/`): thin views over the services; contract in DESIGN.md.

Money POSTs go through `run_idempotent`; domain errors are `Problem`s that the
project's exception handler turns into RFC 9457 problem details."""
