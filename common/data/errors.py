"""What can go wrong when a data set is looked for and read, as exceptions with useful messages."""


class DataNotFoundError(FileNotFoundError):
    """No copy of a data set was found anywhere; the message lists each place tried and the fix."""


class DataFormatError(ValueError):
    """A data file was found but is damaged or not in the expected format; the message names it."""


class NotHere(LookupError):
    """One place does not hold the data set; the message says why (for DataNotFoundError)."""
