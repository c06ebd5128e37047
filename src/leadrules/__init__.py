"""leadrules: lead-qualification rules as checked, testable text files."""

__version__ = "0.1.0"
