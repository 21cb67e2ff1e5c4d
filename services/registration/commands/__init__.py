"""What the ``ocop`` command runs for registration: the first administrator, the reference and
demo data, the import of certificates."""
