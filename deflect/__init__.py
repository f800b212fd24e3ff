"""deflect: a support knowledge base that answers customers before they file a ticket."""

__version__ = "0.1.0"
