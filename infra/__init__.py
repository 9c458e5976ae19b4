"""Infrastructure: reaching Temporal, registering search attributes, logging, settings from the environment.

Everything here touches the outside world (the SDK's connection, environment variables); the
domain in `complaints/` stays pure so the workflow sandbox and unit tests can import it freely.
"""
