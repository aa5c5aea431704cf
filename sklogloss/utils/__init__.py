"""Validation helpers; the one place that imports scikit-learn's private API."""
