"""Sellout's domain package: models, rules and services, with the adapters to Google, Stripe,
SendGrid and Plivo. Every function under functions/ is a thin entry point over this package."""
