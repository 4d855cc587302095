"""TwinViewer: explore a patient's cardiac digital twin."""

__version__ = "0.1.0"

RESEARCH_USE = "Research use — not for clinical decisions"
