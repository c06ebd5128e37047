"""Input and output: lead files, exports, the formatter and diagnostic renderers."""
