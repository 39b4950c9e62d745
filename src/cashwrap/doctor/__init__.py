"""Checks that the seed's pre-requisites are in place, each with its fix."""
