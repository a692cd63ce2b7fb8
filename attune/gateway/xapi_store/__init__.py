"""The statements Attune accepted, kept for the xAPI statements resource's GET (issue 19):
the port and record (``ports``), and its adapters on the gateway's SQLite file and Redis."""
