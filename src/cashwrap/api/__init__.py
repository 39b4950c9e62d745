"""The inbound HTTP edge: FastAPI glue, problem documents, authentication."""
