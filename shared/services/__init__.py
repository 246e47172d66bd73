"""Service layer: one module per area. Each public method takes the caller (a Principal or None)
and plain input, checks permissions against the organization that owns the data, applies the
domain rules, and uses the repositories it was given."""
