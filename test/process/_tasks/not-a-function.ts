// A thread-pool task module for the tests whose default export is not a function.
export default 42;
