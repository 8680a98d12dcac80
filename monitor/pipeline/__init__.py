"""The two halves of the service: ingest (files to the event stream) and detect (stream to incidents)."""
