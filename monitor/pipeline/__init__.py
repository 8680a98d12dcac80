"""Two halves: ingest (files to the event stream) and detect (stream to incidents)."""
