"""Byte-compatible Python implementations of the circomlib/circomlibjs primitives."""
