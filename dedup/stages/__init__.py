"""The stages every engine runs: prepare, site templates, sketch and keys, candidates and passage
partners, common shingles, verification, clustering and the choice of canonical copy and origin.

Functions over plain records and arrays: no files, pools or SQL.
"""
