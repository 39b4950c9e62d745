"""What an integrator imports to build an OMS connector against cashwrap."""
