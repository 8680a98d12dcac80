"""Redis: key names, the connection, and the embedded Valkey server."""
