"""The replay world: loopback servers that answer like the real platforms from recorded
responses. Test and demo support only; the product reaches it through the source address
settings (GITHUB_API_URL and the rest) and knows nothing else of it."""
