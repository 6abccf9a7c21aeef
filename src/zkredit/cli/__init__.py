"""The ``zkredit`` command line."""
