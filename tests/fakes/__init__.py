"""Strict local fakes of the cloud services (Anthropic, Anesya 0.8.1, Olostep) for tests.

See :mod:`tests.fakes.base` for the common API and :mod:`tests.fakes.fixtures` for the
pytest fixtures.
"""
