import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Runs DynamoDB Local listening on one address (127.0.0.1 unless
 * -Ddynamodb.host says otherwise) instead of every interface: its own
 * command line has no such option, and a database anyone on the network can
 * read is not a local default. It builds the server exactly as DynamoDB
 * Local's own main does, then binds its connector before starting it.
 * Run by dynamodb-local.ts with `java <this file>` (Java 11+ compiles a
 * single source file on the fly), so no build step and no binary in the
 * repository.
 */
public class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    String host = System.getProperty("dynamodb.host", "127.0.0.1");
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) {
      if (connector instanceof ServerConnector serverConnector) serverConnector.setHost(host);
    }
    proxy.start();
    proxy.join();
  }
}
