"""The .twin file, audit trail and reports."""
