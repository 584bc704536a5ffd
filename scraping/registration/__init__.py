"""Registration data of domains: RDAP answers and WHOIS texts turned into one normalised
record (registrar, dates, name servers, statuses, DNSSEC, registrant where public)."""
