"""Shared kernel: clock, money, exceptions, abstract models. Imports no app."""
