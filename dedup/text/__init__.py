"""Text: normalisation, the outlet table, and the cleaner (line rules, attributions, spinning).

Pure functions over one page; nothing here knows of other documents (site templates are a stage).
"""
