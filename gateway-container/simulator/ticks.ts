// The simulator uses the same tick ladders and lot rules as the Lambdas' order validation.
export * from '../../proto/ticks.js';
