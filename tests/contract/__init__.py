"""Contracts: what the remote systems' official specs say, and the doubles held to them.

:mod:`.specs` loads the official OpenAPI/Swagger files vendored in tests/reference
and applies a short list of named errata (each with its evidence); :mod:`.check`
validates a recorded exchange against the result; :mod:`.plugin` records every
exchange of the suite and fails a test whose client sent something outside both.
"""
