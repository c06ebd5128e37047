"""Engines that evaluate checked rulesets: `engine.python` (compiled Python) and `engine.sql`.

`engine.validate` turns raw JSON leads into typed values and error records; every engine
uses it so that invalid input is reported the same way everywhere.
"""
