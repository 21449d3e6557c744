/** Unit tests in jsdom; `@openedx/frontend-base` is the local stand-in (stand-in/frontend-base). */
module.exports = {
  testEnvironment: 'jsdom',
  // A test that types a whole form takes seconds on a loaded 2-core machine; 5 s (the default)
  // failed there while nothing was wrong. A budget, not a timing assertion.
  testTimeout: 30000,
  roots: ['<rootDir>/src'],
  setupFilesAfterEnv: ['<rootDir>/jest.setup.ts'],
  transform: {
    '^.+\\.[jt]sx?$': ['ts-jest', {
      tsconfig: {
        jsx: 'react-jsx', module: 'commonjs', esModuleInterop: true, allowJs: true, isolatedModules: true,
      },
      diagnostics: false,
    }],
  },
  // Paragon ships ES modules.
  transformIgnorePatterns: ['/node_modules/(?!(@openedx/paragon)/)'],
  moduleNameMapper: {
    '^@openedx/frontend-base$': '<rootDir>/stand-in/frontend-base/index.tsx',
    '\\.(css|scss)$': 'identity-obj-proxy',
    '\\.(svg|png|jpg|gif)$': '<rootDir>/jest.file-stub.js',
  },
};
