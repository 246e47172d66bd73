"""Adapters: the only modules that talk to Google, Stripe, SendGrid and Plivo. The domain
services receive them as arguments (see shared.bootstrap) and never import them."""
