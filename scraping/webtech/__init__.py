"""Web technology detection from Wappalyzer-format fingerprints (see scraping/data/webtech)."""
