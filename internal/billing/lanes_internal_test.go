package billing

// Lanes is how many lanes a period fans out over, for the tests outside
// the package that count units.
const Lanes = lanes
