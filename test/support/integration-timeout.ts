// Integration tests drive the real service over HTTP against real databases, often on a
// busy 2-core machine next to another test run: a test that takes 1 s alone can take ten
// times that there. Each test and hook gets 60 s (tests known to take longer set their own).
jest.setTimeout(60_000);
