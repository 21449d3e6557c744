/** Unit tests in jsdom; `@openedx/frontend-base` is the local stand-in (stand-in/frontend-base). */
module.exports = {
  testEnvironment: 'jsdom',
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
