"""What the tests run against: real databases and real HTTP servers on loopback."""
