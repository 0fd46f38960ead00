// Starts Amazon's DynamoDB Local listening on one address (127.0.0.1 by default) instead of every interface.
// DynamoDB Local has no option for its listen address (its options are -port, -inMemory, -dbPath, -sharedDb,
// -cors, -delayTransientStatuses, -optimizeDbBeforeStartup, -disableTelemetry), and it builds its Jetty server
// with `new Server(port)`, which binds all interfaces. This launcher lets DynamoDB Local parse its own command
// line, then sets the host of the Jetty connector before the server starts.
//
// Run in Java's source-file mode (java -cp DynamoDBLocal.jar dynamodb-local-loopback.java -port … ), so no
// compiled class is kept anywhere. If a DynamoDB Local release changes these internals, the launcher exits
// with status 70 and says so, rather than falling back to listening on every interface.
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class DynamoDbLocalLoopback {
  public static void main(String[] args) throws Exception {
    String host = System.getProperty("opendcloud.dynamodb.host", "127.0.0.1");
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    int bound = 0;
    try {
      Field field = DynamoDBProxyServer.class.getDeclaredField("server");
      field.setAccessible(true);
      Server jetty = (Server) field.get(proxy);
      for (Connector c : jetty.getConnectors()) {
        if (c instanceof ServerConnector) {
          ((ServerConnector) c).setHost(host);
          bound++;
        }
      }
    } catch (ReflectiveOperationException | ClassCastException e) {
      System.err.println("LOOPBACK-LAUNCHER-FAILED: this DynamoDB Local release cannot be bound to one address (" + e + ")");
      System.exit(70);
    }
    if (bound == 0) {
      System.err.println("LOOPBACK-LAUNCHER-FAILED: DynamoDB Local has no Jetty connector to bind to " + host);
      System.exit(70);
    }
    proxy.start();
    System.out.println("DynamoDB Local listening on " + host);
  }
}
