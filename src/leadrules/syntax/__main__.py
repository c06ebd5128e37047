"""`python -m leadrules.syntax`: rebuild the shipped parser tables (parser_tables.bin) from the
grammar, after editing grammar/leadrules.lark."""

from leadrules.syntax import parser_tables
from leadrules.syntax.parser import build_parser, grammar_text

grammar = grammar_text()
key = parser_tables.write(grammar, build_parser(grammar))
print(f"wrote {parser_tables.TABLES_PATH} ({key})")
