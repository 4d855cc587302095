"""What-if interventions: pure transforms of a twin's parameters."""
