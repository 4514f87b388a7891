"""Exports of documents, redlines and the record of proceedings as files."""
