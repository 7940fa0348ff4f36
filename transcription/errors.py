class JobError(Exception):
    """A problem the user can act on. Its text is shown to them as it is."""
