"""Calibration of a twin to its patient's measurements: point estimate, posterior ensemble."""
