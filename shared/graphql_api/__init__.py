"""The GraphQL layer (ariadne, schema-first): parses requests, authenticates the caller, calls
the domain services, and maps domain errors to the error shape the React clients read."""
