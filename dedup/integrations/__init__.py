"""dedup inside other tools' pipelines (:mod:`dedup.integrations.scrapy`)."""
