"""What dedup writes: the scan's cluster records, the explainer, JSON Lines and CSV writers, the
HTML report, ``dedup extract``'s article record and keywords."""
