"""The demo and the scripted users: people who use the bot through the sandbox.

Above bot/ and sandbox/ (docs/ARCHITECTURE.md): ``rcm demo`` (the narrated story and its
interactive prompt) and the scripted users the tests and benchmarks drive the bot with.
Nothing below imports this package; the ``rcm`` command line (rcm/) adds its verb.
"""
