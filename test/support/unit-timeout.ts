// Unit tests are pure and take milliseconds; property tests (fast-check) run hundreds of
// cases. 20 s leaves room for a machine busy with other work without hiding a hang.
jest.setTimeout(20_000);
